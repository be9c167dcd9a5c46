import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicdesk.config.settings")
application = get_wsgi_application()

# jieba loads its dictionary on first use (about 2.5 s); load it while the worker starts, not
# during the first registration at the window. Tests and management commands skip this.
from civicdesk.cases.search import warm_up  # noqa: E402

warm_up()
