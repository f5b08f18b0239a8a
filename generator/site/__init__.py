"""The static site generator: site_data → pages, charts, gallery → MkDocs."""
