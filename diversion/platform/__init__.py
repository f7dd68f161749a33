"""The platform: what runs the domain apps rather than being one of them.

The periodic jobs (`diversion tick`), the retention purge, the task worker, the production
and development servers (`serve`, `run`), the demo data set and the deployment checks. It
sits above every app and may import any of them; no app imports it. Apps offer their jobs
and retention steps through `diversion.lib.jobs` (see docs/architecture.md).
"""
