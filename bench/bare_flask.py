"""The yardstick of bench/server_bench.py: a Flask app that answers a constant, under the same gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "ok"
