from playwright.sync_api import expect


def test_person_logs_in_and_sees_home(page, live_server, login):
    login("walter")
    expect(page.get_by_role("heading", name="Waymark", exact=True)).to_be_visible()
    expect(page.get_by_text("walter")).to_be_visible()


def test_wrong_password_is_refused(page, live_server, django_user_model):
    django_user_model.objects.create_user("mallory", password="right-password-1")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("User name").fill("mallory")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")


def test_person_logs_out(page, live_server, login):
    login("walter")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Waymark")).to_be_visible()
