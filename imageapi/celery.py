"""The Celery application of the thumbnail workers: `celery --app=imageapi worker`.

Its configuration is the CELERY_* settings of the Django settings module.
Web processes publish through it only when CELERY_BROKER_URL is set.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imageapi.settings.local")

app = Celery("imageapi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
