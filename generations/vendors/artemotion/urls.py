"""ArtEmotion Vision's moderation lane: outputs the NSFW gate holds (roles.REVIEW). Mounted through the registry."""
from django.urls import path

from generations.vendors.artemotion import moderation_views as moderation

urlpatterns = [
    path("projects/<int:pk>/moderation/", moderation.moderation_lane, name="moderation_lane"),
    path("outputs/<int:pk>/moderation/release/", moderation.moderation_release, name="moderation_release"),
    path("outputs/<int:pk>/moderation/discard/", moderation.moderation_discard, name="moderation_discard"),
]
