"""LTI 1.3 launches into classes: the class id, role and group rules, the landing page, user names,
and the state cookies, through JupyterHub's and ltiauthenticator's real classes."""

from types import SimpleNamespace
from unittest import mock

import pytest
from ltiauthenticator.lti13.error import LoginError
from ltiauthenticator.lti13.handlers import NONCE_STATE_COOKIE_NAME, STATE_COOKIE_NAME
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.web import Application
from traitlets.config import Config

from envhub import lti

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTRUCTOR = f"{MEMBERSHIP}#Instructor"
LEARNER = f"{MEMBERSHIP}#Learner"


def lti13_config(**overrides):
    """A config with envhub's LTI 1.3 settings (configure_lti13), as deploy/jupyterhub_config.py makes it."""
    c = Config()
    lti.configure_lti13(
        c,
        **{
            "issuer": "https://lms.example.org",
            "client_id": "tool-1",
            "authorize_url": "https://lms.example.org/auth",
            "jwks_endpoint": "https://lms.example.org/jwks",
            **overrides,
        },
    )
    return c


def launch(label="INTRO101", roles=(LEARNER,), custom=None, **claims):
    """The claims of a validated launch (what ltiauthenticator hands over as auth_state)."""
    token = {
        "sub": "f3a1-opaque",
        "email": "Ada@Example.org",
        lti.ROLES_CLAIM: list(roles),
        lti.TARGET_LINK_URI_CLAIM: "https://hub.example.org/",
        lti.CONTEXT_CLAIM: {"id": "c-1", "label": label, "title": "Introduction"},
        **claims,
    }
    if custom is not None:
        token[lti.CUSTOM_CLAIM] = custom
    return token


# ------------------------------------------------------------------------------------ class id


@pytest.mark.parametrize(
    "label, class_id",
    [
        ("intro101", "intro101"),
        ("INTRO101", "intro101"),
        ("CS 101", "cs-101"),
        ("Physik I (WS 24/25)", "physik-i-ws-24-25"),
        ("Ökonomie_2", "okonomie_2"),
        ("--math--", "math"),
        ("a" * 80, "a" * 64),
        ("x" + "-" * 62 + "yz", "x-yz"),
    ],
)
def test_a_course_label_makes_a_valid_class_id(label, class_id):
    assert lti.class_id_from_label(label) == class_id
    assert lti.CLASS_ID.fullmatch(class_id)


@pytest.mark.parametrize("label", ["数学", "", "---", "  ", "_", None, 42])
def test_a_label_without_letters_or_digits_makes_none(label):
    assert lti.class_id_from_label(label) is None


def test_the_custom_parameter_names_the_class_as_written():
    assert lti.class_id_for_launch(launch(label="CS 101", custom={"envhub_class": "Intro-2025"})) == "Intro-2025"


def test_an_empty_custom_parameter_falls_back_to_the_label():
    assert lti.class_id_for_launch(launch(label="CS 101", custom={"envhub_class": "", "other": "x"})) == "cs-101"


@pytest.mark.parametrize("value", ["intro 101", "-intro", "$Context.label", "a" * 65, 101])
def test_an_invalid_custom_parameter_is_refused_not_rewritten(value):
    with pytest.raises(LoginError, match="envhub_class=.* is not a class id"):
        lti.class_id_for_launch(launch(custom={"envhub_class": value}))


def test_a_label_that_makes_no_id_is_refused_with_what_to_set():
    with pytest.raises(LoginError, match=r"short name '数学' makes no class id.*envhub_class=<class id>"):
        lti.class_id_for_launch(launch(label="数学"))


def test_a_launch_from_no_course_is_refused():
    token = launch()
    del token[lti.CONTEXT_CLAIM]
    with pytest.raises(LoginError, match="comes from no course"):
        lti.class_id_for_launch(token)


# ------------------------------------------------------------------------------------ roles


@pytest.mark.parametrize(
    "roles, role",
    [
        ([INSTRUCTOR], "instructor"),
        ([LEARNER], "student"),
        (["Instructor"], "instructor"),
        (["Learner"], "student"),
        ([f"{MEMBERSHIP}/Instructor#TeachingAssistant"], "instructor"),
        # Canvas sends TAs with a lower-case principal, beside membership#Instructor.
        ([f"{MEMBERSHIP}/instructor#TeachingAssistant"], "instructor"),
        ([f"{MEMBERSHIP}/Learner#NonCreditLearner"], "student"),
        # A learner's sub-role that happens to be called Instructor is a learner.
        ([f"{MEMBERSHIP}/Learner#Instructor"], "student"),
        ([LEARNER, INSTRUCTOR], "instructor"),
        ([f"{MEMBERSHIP}#ContentDeveloper"], None),
        ([f"{MEMBERSHIP}#Mentor"], None),
        ([f"{MEMBERSHIP}#Administrator"], None),
        # Institution and system roles say nothing about this course.
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"], None),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"], None),
        (["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], None),
        (["urn:lti:role:ims/lis/Instructor"], None),
        ([], None),
        ("Instructor", None),
        (None, None),
    ],
)
def test_course_roles(roles, role):
    assert lti.course_role(roles) == role


def test_the_platform_sets_this_class_s_groups_and_keeps_the_others():
    current = ["intro101-students", "math-students", "staff"]
    assert lti.groups_after_launch(current, "intro101", "instructor") == [
        "intro101-instructors",
        "math-students",
        "staff",
    ]
    assert lti.groups_after_launch([], "intro101", "student") == ["intro101-students"]
    assert lti.groups_after_launch(current, "intro101", None) == ["math-students", "staff"]


# ------------------------------------------------------------------------------------ post_auth_hook


def hook_handler(existing_groups=None):
    """A handler whose find_user knows one user (with groups) or none."""
    user = None if existing_groups is None else SimpleNamespace(groups=[SimpleNamespace(name=g) for g in existing_groups])
    return SimpleNamespace(find_user=mock.Mock(return_value=user))


async def test_the_hub_applies_the_groups_of_a_launch_through_the_authenticator():
    auth = lti.EnvhubLTI13Authenticator(config=lti13_config())
    handler = hook_handler(["math-students"])
    token = launch(roles=[INSTRUCTOR])
    authenticated = await auth.get_authenticated_user(handler, token)
    assert authenticated["name"] == "ada@example.org"
    assert authenticated["groups"] == ["intro101-instructors", "math-students"]
    assert authenticated["auth_state"] is token
    handler.find_user.assert_called_once_with("ada@example.org")


async def test_a_new_user_gets_the_class_group_only():
    auth = lti.EnvhubLTI13Authenticator(config=lti13_config())
    authenticated = await auth.get_authenticated_user(hook_handler(None), launch(roles=[LEARNER]))
    assert authenticated["groups"] == ["intro101-students"]


async def test_a_launch_without_a_class_is_refused_by_the_authenticator():
    auth = lti.EnvhubLTI13Authenticator(config=lti13_config())
    with pytest.raises(LoginError, match="makes no class id"):
        await auth.get_authenticated_user(hook_handler(None), launch(label="数学"))


# ------------------------------------------------------------------------------------ user names


@pytest.mark.parametrize(
    "key, token, name",
    [
        ("email", launch(), "Ada@Example.org"),
        ("sub", launch(), "f3a1-opaque"),
        ("custom_username", launch(custom={"username": " ada "}), "ada"),
    ],
)
def test_the_user_name_comes_from_the_configured_claim(key, token, name):
    assert lti.EnvhubLTI13Authenticator(username_key=key).get_username(token) == name


@pytest.mark.parametrize(
    "key, token, missing",
    [
        ("email", {k: v for k, v in launch().items() if k != "email"}, "claim 'email'"),
        ("custom_username", launch(custom={"other": "x"}), "custom parameter 'username'"),
        ("custom_username", launch(), "custom parameter 'username'"),
        ("email", launch(email=""), "claim 'email'"),
    ],
)
def test_a_missing_user_name_is_refused_rather_than_replaced_by_sub(key, token, missing):
    with pytest.raises(LoginError, match=f"carries no {missing}"):
        lti.EnvhubLTI13Authenticator(username_key=key).get_username(token)


# ------------------------------------------------------------------------------------ landing


@pytest.mark.parametrize(
    "target, landing",
    [
        ("https://hub.example.org/", "/services/envhub/classes/intro101"),
        ("https://hub.example.org", "/services/envhub/classes/intro101"),
        ("https://hub.example.org/hub", "/services/envhub/classes/intro101"),
        ("https://hub.example.org/hub/home", "/services/envhub/classes/intro101"),
        ("https://hub.example.org/hub/lti13/oauth_login", "/services/envhub/classes/intro101"),
        ("https://hub.example.org/services/envhub/", "/services/envhub/"),
        (
            "https://hub.example.org/services/envhub/v2/git/x/main?urlpath=lab#top",
            "/services/envhub/v2/git/x/main?urlpath=lab",
        ),
        ("http://HUB.example.org/user-redirect/lab", "/user-redirect/lab"),
        ("https://hub.example.org/hub/login?next=%2Fhub%2Fuser-redirect%2Fgit-pull%3Frepo%3Dx", "/hub/user-redirect/git-pull?repo=x"),
        ("https://hub.example.org/hub/login?next=//evil.example", "/services/envhub/classes/intro101"),
        ("https://hub.example.org/hub/login?next=https://evil.example/", "/services/envhub/classes/intro101"),
        ("https://hub.example.org//evil.example/x", "/evil.example/x"),
        ("https://hub.example.org/\\evil.example", "/%5Cevil.example"),
        ("https://lms.example.org/course/view.php?id=2", "/services/envhub/classes/intro101"),
        ("https://hub.example.org:8443/services/envhub/", "/services/envhub/classes/intro101"),
        ("javascript:alert(1)", "/services/envhub/classes/intro101"),
        (None, "/services/envhub/classes/intro101"),
    ],
)
def test_the_landing_page(target, landing):
    assert lti.landing_path(target, "intro101", hub_host="hub.example.org") == landing


def test_the_landing_page_under_a_base_url():
    assert lti.landing_path("https://h/jh/hub/", "c1", hub_host="h", base_url="/jh/") == "/jh/services/envhub/classes/c1"
    assert lti.landing_path("https://h/jh/user-redirect/lab", "c1", hub_host="h", base_url="/jh/") == "/jh/user-redirect/lab"


# ------------------------------------------------------------------------------------ handlers


def handler(cls, host="127.0.0.1:8700", protocol="http", headers=None, **settings):
    """A real handler of ``cls`` in a minimal Hub-like tornado application."""
    app = Application(
        cookie_secret="s" * 32,
        authenticator=lti.EnvhubLTI13Authenticator(config=lti13_config()),
        hub=SimpleNamespace(base_url="/hub/"),
        **settings,
    )
    connection = mock.Mock(context=SimpleNamespace(protocol=protocol, remote_ip="127.0.0.1"))
    request = HTTPServerRequest(
        start_line=RequestStartLine("POST", "/hub/lti13/oauth_callback", "HTTP/1.1"),
        headers=HTTPHeaders({"Host": host, **(headers or {})}),
        connection=connection,
    )
    return cls(app, request)


def set_cookie_headers(h):
    return {name: morsel.OutputString() for name, morsel in h._new_cookie.items()}


@pytest.mark.parametrize(
    "host, protocol, headers, cross_site",
    [
        ("127.0.0.1:8700", "http", {}, True),
        ("localhost:8700", "http", {}, True),
        ("[::1]:8700", "http", {}, True),
        ("hub.example.org", "https", {}, True),
        ("hub.example.org", "http", {"X-Forwarded-Proto": "https"}, True),
        # A Secure cookie set over plain http off loopback would be dropped: leave the defaults.
        ("hub.example.org", "http", {}, False),
        ("10.0.0.5:8000", "http", {}, False),
    ],
)
def test_the_two_state_cookies_are_samesite_none_and_secure_where_browsers_keep_them(host, protocol, headers, cross_site):
    h = handler(lti.StateCookieLoginHandler, host, protocol, headers)
    h.set_state_cookie("state-value")
    h.set_nonce_state_cookie("nonce-value")
    cookies = set_cookie_headers(h)
    assert set(cookies) == {STATE_COOKIE_NAME, NONCE_STATE_COOKIE_NAME}
    for header in cookies.values():
        assert "HttpOnly" in header
        assert ("SameSite=None" in header) is cross_site
        assert ("Secure" in header) is (cross_site or protocol == "https")


def test_the_hub_s_other_cookies_keep_the_hub_s_defaults():
    h = handler(lti.StateCookieLoginHandler)
    h._set_cookie("jupyterhub-session-id", "x", encrypted=False)
    header = set_cookie_headers(h)["jupyterhub-session-id"]
    assert "SameSite" not in header and "Secure" not in header


def test_the_callback_clears_the_state_cookies_with_their_attributes():
    h = handler(lti.LaunchCallbackHandler)
    h.request.headers["Cookie"] = f"{STATE_COOKIE_NAME}={h.create_signed_value(STATE_COOKIE_NAME, 'st').decode()}"
    assert h._get_state_cookie() == "st"
    cleared = set_cookie_headers(h)[STATE_COOKIE_NAME]
    assert "SameSite=None" in cleared and "Secure" in cleared and "expires=" in cleared.lower()


@pytest.mark.parametrize(
    "target, landing",
    [
        ("http://127.0.0.1:8700/", "/services/envhub/classes/intro101"),
        ("http://127.0.0.1:8700/services/envhub/", "/services/envhub/"),
        ("http://localhost:8700/services/envhub/", "/services/envhub/classes/intro101"),
    ],
)
def test_the_callback_lands_from_the_signed_target_link_uri(target, landing):
    h = handler(lti.LaunchCallbackHandler)
    h._launch = launch(**{lti.TARGET_LINK_URI_CLAIM: target})
    assert h.get_next_url() == landing


def test_the_callback_compares_with_the_hub_s_public_url():
    from urllib.parse import urlparse

    h = handler(lti.LaunchCallbackHandler, public_url=urlparse("https://hub.example.org/"))
    h._launch = launch(**{lti.TARGET_LINK_URI_CLAIM: "https://hub.example.org/services/envhub/"})
    assert h.get_next_url() == "/services/envhub/"


# ------------------------------------------------------------------------------------ configuration


def test_configure_lti13():
    c = lti13_config(client_id=["a", "b"], username_key="custom_username", admin_users=["ada@example.org"])
    assert c.JupyterHub.authenticator_class is lti.EnvhubLTI13Authenticator
    assert c.Authenticator.manage_groups is True
    assert c.Authenticator.post_auth_hook is lti.post_auth_hook
    auth = lti.EnvhubLTI13Authenticator(config=c)
    assert auth.issuer == "https://lms.example.org"
    assert auth.client_id == {"a", "b"}
    assert auth.jwks_endpoint == "https://lms.example.org/jwks"
    assert auth.username_key == "custom_username"
    assert auth.allow_all and auth.manage_groups
    assert auth.admin_users == {"ada@example.org"}
    assert auth.login_handler is lti.StateCookieLoginHandler
    assert auth.callback_handler is lti.LaunchCallbackHandler
