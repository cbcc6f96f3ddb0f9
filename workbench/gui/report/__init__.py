"""Reports for stakeholders: the HTML report preview and presentation mode."""
