"""Models of the vetting app (see DESIGN.md section 3); added by the issues that need them."""
