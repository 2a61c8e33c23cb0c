"""Sustained load benchmark: locust users browse, search and run tools against the real stack
(uvicorn + one Celery inference worker) on an isolated database. See `python -m bench.load`."""
