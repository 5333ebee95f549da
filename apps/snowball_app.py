"""The Snowball app as a Panel script: `panel serve apps/snowball_app.py`
(or `snowball app`)."""

import panel as pn

from apps.app.layout import create_app

# Panel loads a widget's code only if it is named here or exists when the page is first
# built: the tables on tabs drawn once opened, and the uploads, are named here.
pn.extension("tabulator", "filedropper")

create_app().servable()
