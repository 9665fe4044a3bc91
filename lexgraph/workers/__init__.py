"""Celery app, queues and thin tasks. Tasks only wire: the work lives in graphs/ and core/."""
