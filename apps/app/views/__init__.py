"""The app's views: one `pn.viewable.Viewer` each, reading only the results store."""
