"""The file spark-submit runs (it takes a .py file, not `python -m`): job_reco's packaged Kedro CLI.

    spark-submit ... spark_submit_main.py --conf-source conf-job_reco.tar.gz --env cluster --pipelines from_logs

See docs/deploy.md.
"""

from job_reco.__main__ import main

if __name__ == "__main__":
    main()
