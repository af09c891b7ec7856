"""/favicon.ico: browsers ask for it on every page whatever the <link rel="icon"> says; answer with a small icon
instead of a 404 in the log and the console."""
from django.conf import settings
from django.http import FileResponse, HttpRequest
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

ICON = settings.BASE_DIR / "static" / "favicon.ico"


@require_GET
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest):
    return FileResponse(ICON.open("rb"), content_type="image/x-icon")
