"""Training and export (the ``train`` extra): fine-tune, distil, quantize, export with gates."""
