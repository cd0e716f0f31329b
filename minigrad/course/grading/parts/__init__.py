"""The checks of the exercises' parts, one module per chapter; `manifest` lists them."""
