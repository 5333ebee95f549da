"""The Snowball app as a Panel script: `panel serve apps/snowball_app.py`
(or `snowball app`)."""

import panel as pn

from apps.app.layout import create_app

# Tables on tabs that are drawn only once opened must have their code on the page from
# the start: Panel loads a widget's extension only if it exists when the page is built.
pn.extension("tabulator")

create_app().servable()
