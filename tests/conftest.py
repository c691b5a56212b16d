import pytest

from tests.schema_sentinel import outside_refs, secret_file, sentinel  # noqa: F401


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def admin_user_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pw-root-123")
    client.force_login(admin)
    return client


@pytest.fixture(autouse=True)
def _fresh_webhook_endpoints():
    """Endpoints are cached per process; a test's rolled-back rows must not leak into the next."""
    from engine.webhooks.delivery import forget_endpoints

    forget_endpoints()
    yield
    forget_endpoints()


@pytest.fixture(autouse=True)
def _fresh_graph_cache():
    """Frozen versions' graphs are cached by id; a rolled-back test's ids are used again."""
    from engine.models.definitions import clear_graph_cache
    from engine.services.processes import forget_startable

    clear_graph_cache()
    forget_startable()
    yield
    clear_graph_cache()
    forget_startable()
