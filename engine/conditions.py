from engine.core.conditions import *  # noqa: F403
from engine.core.conditions import __all__  # noqa: F401
