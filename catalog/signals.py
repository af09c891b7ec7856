"""What the catalog tells the rest of the studio, without importing it (the catalog sits below generations)."""
from django.dispatch import Signal

# Sent when a zip import has finished (args: project). generations connects the project's status roll-up
# (Huhu: the complete upload "Updates project status from Creating to Created").
project_import_finished = Signal()
