"""syft_widgets: PySyft 0.2's pointer API, re-built small, with live diagrams of what happens."""
