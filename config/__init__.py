# The Celery app, when Celery is installed (it is optional: WAYMARK_SCHEDULER_BACKEND
# = "celery" needs it), so that Django processes send tasks through it.
from importlib.util import find_spec

celery_app = None
if find_spec("celery") is not None:
    from config.celery import app as celery_app

__all__ = ["celery_app"]
