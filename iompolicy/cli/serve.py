"""`iompolicy serve`: the HTTP service (needs the `server` extra)."""

from __future__ import annotations

import sys

import click

from .common import RunError, fail, parse_readings, policy_folder, repository_settings


# iompolicy is not on a public package index: it is installed from a clone or from a wheel.
SERVER_EXTRA_HINT = ('in a clone of iompolicy, pip install -e ".[server]"; with a wheel, '
                     'pip install "iompolicy-{version}-py3-none-any.whl[server]"')


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--policies", "policy_dir", metavar="DIR", help="Use the policies in DIR instead of the shipped ones.")
@click.option("--data", "data_files", multiple=True, metavar="FILE",
              help="Reference data (member_states, funded_projects); repeatable.")
@click.option("--max-body", type=click.IntRange(1), default=1024 * 1024, show_default=True, metavar="BYTES",
              help="Largest request body accepted.")
@click.option("--max-batch", type=click.IntRange(1), default=100, show_default=True, metavar="N",
              help="Most documents in one POST /v1/check/batch.")
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log every request.")
@click.option("--waivers", "waivers_file", metavar="FILE", help="Waivers to apply.  [default: the settings' `waivers`]")
@click.option("--no-waivers", is_flag=True, help="Answer without any waiver.")
@click.option("--head-timeout", type=click.FloatRange(0.1), default=10.0, show_default=True, metavar="SECONDS",
              help="Close a connection whose next request head has not arrived in time.")
@click.option("--body-timeout", type=click.FloatRange(0.1), default=30.0, show_default=True, metavar="SECONDS",
              help="Answer 408 when a request body has not arrived in time.")
@click.option("--request-timeout", type=click.FloatRange(0.1), default=30.0, show_default=True, metavar="SECONDS",
              help="Answer 503 when a check takes longer, and stop the check.")
@click.option("--idle-timeout", type=click.FloatRange(0.1), default=5.0, show_default=True, metavar="SECONDS",
              help="Close an idle keep-alive connection.")
@click.option("--max-connections", type=click.IntRange(1), default=200, show_default=True, metavar="N",
              help="Connections served at once; more are answered 503.")
@click.option("--reading", "readings", multiple=True, metavar="NAME=VALUE",
              help="Read a policy parameter this way (repeatable).  [default: the settings' `readings`]")
def serve(host, port, policy_dir, data_files, max_body, max_batch, access_log, waivers_file, no_waivers,
          readings=(), head_timeout=10.0, body_timeout=30.0, request_timeout=30.0, idle_timeout=5.0, max_connections=200):
    """Serve checks over HTTP (needs the `server` extra: starlette and uvicorn).

    Policies, data and waivers are loaded once, from the options or else from
    the settings file (.iompolicy.yaml or [tool.iompolicy]); POST /v1/reload or
    SIGHUP reloads them (a set that does not load is refused and the old one
    kept). GET /openapi.json describes the API.

    \b
    Examples:
      iompolicy serve --data examples/data/member-states.yaml --data examples/data/funded-projects.yaml
      curl -s -H 'Content-Type: application/yaml' --data-binary @proposal.yaml localhost:8000/v1/check
    """
    from .. import __version__
    from ..resources import shipped_policies
    from ..service.guard import Timeouts

    try:
        from ..service.http import serve as run_server
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("starlette", "uvicorn", "anyio", "h11"):
            raise
        fail([f"iompolicy serve needs the server extra (no module {error.name}) "
              f"(hint: {SERVER_EXTRA_HINT.format(version=__version__)})"])
    from ..config import ConfigError, shown

    try:
        config = repository_settings()
        chosen = {**((config.readings or {}) if config is not None else {}), **parse_readings(readings)}
    except (RunError, ConfigError) as error:
        fail(error.lines)
    if config is not None:
        data_files = data_files or tuple(shown(p) for p in config.data)
        waivers_file = waivers_file or (shown(config.waivers) if config.waivers else None)
    sys.exit(run_server(policy_folder(policy_dir) or shipped_policies(), data_files, host=host, port=port,
                        max_body=max_body, max_batch=max_batch, access_log=access_log,
                        waivers_file=None if no_waivers else waivers_file, readings=chosen,
                        timeouts=Timeouts(head_timeout, body_timeout, request_timeout, idle_timeout, max_connections)))
