"""job_reco file for ensuring the package is executable as `job-reco` and `python -m job_reco`.

`job-reco recommend ...` recommends jobs for new resumes (job_reco.recommend.cli); every other
command is the project's Kedro CLI (`job-reco run`, ...).
"""

import sys
from pathlib import Path


def main(*args, **kwargs) -> None:
    """Run `recommend`, or the project's Kedro CLI."""
    argv = list(args[0]) if args and isinstance(args[0], (list, tuple)) else sys.argv[1:]
    if argv[:1] == ["recommend"]:
        from job_reco.recommend.cli import recommend  # noqa: PLC0415

        return recommend.main(args=argv[1:], prog_name="job-reco recommend")
    from kedro.framework.cli.utils import find_run_command  # noqa: PLC0415
    from kedro.framework.project import configure_project  # noqa: PLC0415

    package_name = Path(__file__).parent.name
    configure_project(package_name)
    interactive = hasattr(sys, "ps1")
    kwargs["standalone_mode"] = not interactive
    run = find_run_command(package_name)
    return run(*args, **kwargs)


if __name__ == "__main__":
    main()
