"""The queue worker's entry point: `huey_consumer companion.worker.huey -w 4 -k thread`, or
`flask --app companion worker`. Builds the app once per process and its queue from the settings."""

from . import create_app
from . import tasks as tasks_module

app = create_app()
queue = tasks_module.make_queue(app.config["QUEUE_URL"], app.config["INSTANCE_DIR"])
tasks = tasks_module.register(queue, app)
huey = tasks.queue
