"""Launches from a learning platform (Moodle, Canvas, …) with LTI 1.3, into envhub classes.

``configure_lti13(c, ...)`` makes ``jupyterhub-ltiauthenticator``'s LTI 1.3 login the Hub's sign-in
and adds envhub's rules on top of it:

- **The class** is the platform's course: the custom parameter ``envhub_class`` when the tool's
  settings set one, else the course's short name (the context ``label``, e.g. ``INTRO 101`` →
  ``intro-101``). A launch that names no valid class is refused with what to set.
- **Roles** (LTI 1.3 context roles, ``http://purl.imsglobal.org/vocab/lis/v2/membership``): the
  principal role ``Instructor`` and its sub-roles (``membership/Instructor#TeachingAssistant``, …)
  put the user in the Hub group ``<class>-instructors``; ``Learner`` and its sub-roles in
  ``<class>-students``. Both → instructor only. ``ContentDeveloper``, ``Mentor``, ``Manager``,
  ``Member``, ``Administrator`` and institution or system roles give no class role: course designers
  and observers must not see students' work, and an instructor can add them by hand. The platform is
  the authority for these two groups of the launched class; the user's other groups are kept.
- **The landing page** is the launch's ``target_link_uri`` when it points to a page of this hub,
  else the class page ``/services/envhub/classes/<class>``.
- **The two state cookies** of the login are ``SameSite=None; Secure``: the platform's answer is a
  cross-site POST, and Chromium sends cookies without a SameSite attribute (Lax by default) with a
  cross-site POST only in their first two minutes. Measured in Chromium 156: with ltiauthenticator's
  cookies a launch held 125 s at the platform fails ("OAuth state missing from cookies"); with these
  it lands. No other Hub cookie changes.
"""

import ipaddress
import re
import unicodedata
from urllib.parse import parse_qs, urlsplit, urlunsplit

from jupyterhub.utils import url_path_join
from ltiauthenticator.lti13.auth import LTI13Authenticator
from ltiauthenticator.lti13.constants import LTI13_CUSTOM_CLAIM
from ltiauthenticator.lti13.error import LoginError
from ltiauthenticator.lti13.handlers import LTI13CallbackHandler, LTI13LoginInitHandler

from .hub import SERVICE_NAME

CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
TARGET_LINK_URI_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
CUSTOM_CLAIM = LTI13_CUSTOM_CLAIM
# Context (course) roles; sub-roles are `<CONTEXT_ROLES>/<Principal>#<Sub>`.
CONTEXT_ROLES = "http://purl.imsglobal.org/vocab/lis/v2/membership"
# The custom parameter that names the class explicitly (`envhub_class=intro101` in the tool's settings).
CLASS_PARAMETER = "envhub_class"
# The service's class ids (CLASS_ID_PATTERN in schema/src/classes.ts).
CLASS_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
CLASS_ID_RULE = "1 to 64 letters, digits, '-' or '_', starting with a letter or digit"
INSTRUCTOR, STUDENT = "instructor", "student"
GROUP_SUFFIXES = {INSTRUCTOR: "-instructors", STUDENT: "-students"}


def class_id_from_label(label):
    """The class id a course's short name makes (``"Physik I (WS 24/25)"`` → ``"physik-i-ws-24-25"``),
    or None when none can be made. Lower case, so that ``CS101`` and ``cs101`` are one class."""
    if not isinstance(label, str):
        return None
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_label.lower())
    slug = re.sub(r"-{2,}", "-", slug).lstrip("-_")[:64].rstrip("-_")
    return slug if CLASS_ID.fullmatch(slug) else None


def class_id_for_launch(launch):
    """The class of a validated launch (its id_token's claims); raises LoginError saying what to set."""
    custom = launch.get(CUSTOM_CLAIM)
    explicit = custom.get(CLASS_PARAMETER) if isinstance(custom, dict) else None
    if explicit not in (None, ""):
        if isinstance(explicit, str) and CLASS_ID.fullmatch(explicit):
            return explicit
        raise LoginError(
            f"The tool's custom parameter {CLASS_PARAMETER}={explicit!r} is not a class id ({CLASS_ID_RULE}). "
            "Ask the course's administrator to correct it in the tool's settings on the learning platform."
        )
    context = launch.get(CONTEXT_CLAIM)
    if not isinstance(context, dict):
        raise LoginError(
            "This launch comes from no course, and envhub opens a course's class. Launch the tool from "
            f"inside a course, or set the custom parameter {CLASS_PARAMETER}=<class id> in the tool's settings."
        )
    class_id = class_id_from_label(context.get("label"))
    if class_id is None:
        raise LoginError(
            f"The course's short name {context.get('label')!r} makes no class id ({CLASS_ID_RULE}). "
            f"Ask the course's administrator to set the custom parameter {CLASS_PARAMETER}=<class id> "
            "in the tool's settings on the learning platform."
        )
    return class_id


def _principal_role(role):
    """The principal context role a role stands for (``Instructor`` for ``…/membership#Instructor``,
    ``…/membership/Instructor#TeachingAssistant`` and the simple name ``Instructor``), lower case;
    None for institution, system and unknown roles."""
    if not isinstance(role, str):
        return None
    if role.startswith(CONTEXT_ROLES + "#"):
        return role[len(CONTEXT_ROLES) + 1 :].lower()
    if role.startswith(CONTEXT_ROLES + "/") and "#" in role:
        return role[len(CONTEXT_ROLES) + 1 :].split("#", 1)[0].lower()
    # LTI 1.3 lets context roles be sent by their simple name.
    if re.fullmatch(r"[A-Za-z]+", role):
        return role.lower()
    return None


def course_role(roles):
    """``"instructor"``, ``"student"`` or None for the LTI roles of a launch (see the module's rules)."""
    principals = {_principal_role(r) for r in roles} if isinstance(roles, list) else set()
    if "instructor" in principals:
        return INSTRUCTOR
    if "learner" in principals:
        return STUDENT
    return None


def class_groups(class_id):
    """The Hub groups of a class's instructors and students: ``{"instructor": "<id>-instructors", …}``."""
    return {role: class_id + suffix for role, suffix in GROUP_SUFFIXES.items()}


def groups_after_launch(current, class_id, role):
    """The user's Hub groups after a launch: ``current`` with this class's two groups set from ``role``."""
    groups = class_groups(class_id)
    kept = set(current) - set(groups.values())
    if role is not None:
        kept.add(groups[role])
    return sorted(kept)


def _is_front_door(path, base_url):
    """Whether ``path`` is the hub's generic entry (what a tool registration points at), not a page."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    normal = path.rstrip("/") + "/"
    return normal in {base, base + "hub/", base + "hub/home/", base + "hub/login/"} or normal.startswith(
        base + "hub/lti13/"
    )


def _local_path(path, query=""):
    """``path?query`` as a path on this host: one leading slash (``//host`` would leave it) and no
    backslash (browsers read it as a slash)."""
    path = "/" + path.replace("\\", "%5C").lstrip("/")
    return urlunsplit(("", "", path, query.replace("\\", "%5C"), ""))


def landing_path(target_link_uri, class_id, *, hub_host, base_url="/"):
    """Where a launch lands: the page of this hub ``target_link_uri`` names, else the class page.

    ``hub_host`` is the hub's ``host[:port]`` as browsers reach it. The hub's front door (``/``,
    ``/hub/``, ``/hub/home``, ``/hub/login``, the LTI endpoints) counts as no page, unless it carries a
    ``next=<path>`` as JupyterHub's login does.
    """
    class_page = url_path_join(base_url, "services", SERVICE_NAME, "classes", class_id)
    if not isinstance(target_link_uri, str):
        return class_page
    target = urlsplit(target_link_uri)
    if target.scheme not in ("http", "https") or target.netloc.lower() != hub_host.lower():
        return class_page
    if not _is_front_door(target.path or "/", base_url):
        return _local_path(target.path, target.query)
    next_url = parse_qs(target.query).get("next", [""])[0]
    if next_url.startswith("/") and not next_url.startswith("//"):
        next_parts = urlsplit(next_url)
        if not next_parts.netloc and not _is_front_door(next_parts.path, base_url):
            return _local_path(next_parts.path, next_parts.query)
    return class_page


def post_auth_hook(authenticator, handler, authentication):
    """Sets the user's Hub groups from the launch (``Authenticator.manage_groups`` applies them)."""
    launch = authentication.get("auth_state") or {}
    class_id = class_id_for_launch(launch)
    role = course_role(launch.get(ROLES_CLAIM))
    user = handler.find_user(authentication["name"])
    current = [group.name for group in user.groups] if user is not None else []
    authentication["groups"] = groups_after_launch(current, class_id, role)
    authenticator.log.info(
        "LTI launch: %s in class %s as %s", authentication["name"], class_id, role or "no class role"
    )
    return authentication


def _is_loopback(host_name):
    host = host_name.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_warned_plain_http = False


def state_cookie_options(handler):
    """``SameSite=None; Secure`` for the LTI state cookies where browsers keep Secure cookies (https,
    and loopback hosts), else nothing: a Secure cookie set over plain http elsewhere is dropped."""
    global _warned_plain_http
    if handler.authenticator.get_uri_scheme(handler.request) == "https" or _is_loopback(handler.request.host_name):
        return {"samesite": "None", "secure": True}
    if not _warned_plain_http:
        _warned_plain_http = True
        handler.log.warning(
            "LTI 1.3 over plain http: browsers may not send the login's state cookies with the platform's "
            "cross-site POST (SameSite=Lax). Serve the hub over https."
        )
    return {}


class StateCookieLoginHandler(LTI13LoginInitHandler):
    """The OIDC login initiation, with state cookies that survive the platform's cross-site POST."""

    def _set_oauth_cookie(self, key, value):
        self._set_cookie(key, value, expires_days=1, httponly=True, encrypted=True, **state_cookie_options(self))


class LaunchCallbackHandler(LTI13CallbackHandler):
    """The launch: lands on the class page (or the hub page the link names), clears the state cookies."""

    _launch = None

    def decode_and_validate_launch_request(self):
        self._launch = super().decode_and_validate_launch_request()
        return self._launch

    def get_next_url(self, user=None):
        if self._launch is None:
            return super().get_next_url(user)
        public_url = self.settings.get("public_url")
        return landing_path(
            self._launch.get(TARGET_LINK_URI_CLAIM),
            class_id_for_launch(self._launch),
            hub_host=public_url.netloc if public_url else self.request.host,
            base_url=self.base_url,
        )

    def _get_oauth_cookie(self, name):
        cookie = (self.get_secure_cookie(name) or b"").decode("utf8", "replace")
        # A SameSite=None cookie is only cleared by a Set-Cookie with the same attributes.
        self.clear_cookie(name, **state_cookie_options(self))
        return cookie


class EnvhubLTI13Authenticator(LTI13Authenticator):
    """LTI 1.3 sign-in with envhub's handlers, and no silent fallback to ``sub`` for the user name."""

    login_handler = StateCookieLoginHandler
    callback_handler = LaunchCallbackHandler

    def get_username(self, token):
        # ltiauthenticator falls back to the opaque `sub` when the claim is missing: the same person
        # would then get a second Hub user, with a name nobody recognises. Refuse instead.
        key = self.username_key or "sub"
        claims, name = (token.get(CUSTOM_CLAIM) or {}, key[len("custom_") :]) if key.startswith("custom_") else (token, key)
        value = claims.get(name) if isinstance(claims, dict) else None
        if not isinstance(value, str) or not value.strip():
            where = f"custom parameter {name!r}" if key.startswith("custom_") else f"claim {name!r}"
            raise LoginError(
                f"The launch carries no {where}, which names users on this hub. Ask the learning platform's "
                "administrator to share it with this tool (privacy settings or custom parameters)."
            )
        return value.strip()


def configure_lti13(
    c, *, issuer, client_id, authorize_url, jwks_endpoint, username_key="email", admin_users=()
):
    """Sign users in with LTI 1.3 launches from one platform, mapped to envhub classes (module doc).

    ``issuer``, ``client_id`` (one or several), ``authorize_url`` and ``jwks_endpoint`` are what the
    platform shows after registering the tool. ``username_key`` is the claim that names the Hub user
    (``email``; ``custom_<name>`` reads a custom parameter): make it the name the institution's other
    sign-in gives the same person. ``admin_users`` are Hub admins, by that name.
    """
    c.JupyterHub.authenticator_class = EnvhubLTI13Authenticator
    c.LTI13Authenticator.issuer = issuer
    c.LTI13Authenticator.client_id = {client_id} if isinstance(client_id, str) else set(client_id)
    c.LTI13Authenticator.authorize_url = authorize_url
    c.LTI13Authenticator.jwks_endpoint = jwks_endpoint
    c.LTI13Authenticator.username_key = username_key
    # The platform decides who launches: everyone it signs a launch for may sign in.
    c.Authenticator.allow_all = True
    c.Authenticator.manage_groups = True
    c.Authenticator.post_auth_hook = post_auth_hook
    if admin_users:
        c.Authenticator.admin_users = set(admin_users)
