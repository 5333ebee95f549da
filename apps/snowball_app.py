"""The Snowball app as a Panel script: `panel serve apps/snowball_app.py`
(or `snowball app`)."""

from apps.app.layout import create_app

create_app().servable()
