"""``<base_url>envhub/api/session``: whether this server is a visitor's temporary session of a public
server, in a real Jupyter server with envhub's extension."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError


async def session(jp_fetch, **kwargs) -> dict:
    r = await jp_fetch("envhub", "api", "session", **kwargs)
    return json.loads(r.body)


async def test_a_temporary_session_names_the_public_server_it_copies(monkeypatch, jp_fetch):
    monkeypatch.setenv("ENVHUB_PUBLIC_SESSION", "alice/course")
    assert await session(jp_fetch) == {"publicSession": "alice/course"}


@pytest.mark.parametrize("value", [None, "", "  "])
async def test_any_other_server_is_no_public_session(monkeypatch, jp_fetch, value):
    if value is None:
        monkeypatch.delenv("ENVHUB_PUBLIC_SESSION", raising=False)
    else:
        monkeypatch.setenv("ENVHUB_PUBLIC_SESSION", value)
    assert await session(jp_fetch) == {"publicSession": None}


async def test_it_answers_only_those_who_may_use_the_server(monkeypatch, jp_fetch):
    monkeypatch.setenv("ENVHUB_PUBLIC_SESSION", "alice/course")
    with pytest.raises(HTTPClientError) as info:
        await session(jp_fetch, headers={"Authorization": "token not-this-servers"})
    assert info.value.code == 403
