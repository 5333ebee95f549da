"""`snowball app`: serve the app on this machine."""

from pathlib import Path

import typer

SCRIPT = Path(__file__).resolve().parent.parent / "snowball_app.py"
# Uploads arrive in chunks (apps/app/controls.py UPLOAD_CHUNK_BYTES), each well within.
WEBSOCKET_MAX_BYTES = 20 * 2**20


def app(port: int = typer.Option(5006, help="port to listen on"),
        address: str = typer.Option("127.0.0.1", help="address to bind (default: this "
                                    "machine only)"),
        show: bool = typer.Option(False, "--show", help="open a browser")) -> None:
    """Serve the app (prints the URL)."""
    import panel as pn

    from apps.app.worker import warm_up

    if not 0 < port < 65536:
        raise typer.BadParameter(f"--port must be within 1..65535 (got {port})")
    host = f"{address}:{port}"
    print(f"Snowball app: http://{host}/snowball_app", flush=True)
    warm_up()
    pn.serve({"snowball_app": str(SCRIPT)}, port=port, address=address, show=show,
             websocket_origin=[host, f"localhost:{port}"], title="Snowball",
             websocket_max_message_size=WEBSOCKET_MAX_BYTES)
