"""One HTTP session per pull: retries on 429 and 5xx with urllib3's Retry (honouring `Retry-After`), and a failure
that names the source and what to do instead of a status code."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRIES = Retry(total=6, backoff_factor=1.0, backoff_max=60, status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=None, respect_retry_after_header=True, raise_on_status=False)
TIMEOUT = (10, 120)  # seconds to connect, to read a page


class PullFailed(Exception):
    """A pull that cannot go on: the sentence names the source and what to do. It never holds a credential."""


def json_body(response: requests.Response):
    """The answer's JSON, or {} when it is not JSON (a proxy's HTML error page, an empty body)."""
    try:
        return response.json()
    except ValueError:
        return {}


def session(retries: Retry = RETRIES) -> requests.Session:
    """A session whose every request is retried on 429 (after the server's `Retry-After`) and on 5xx."""
    http = requests.Session()
    adapter = HTTPAdapter(max_retries=retries)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http
