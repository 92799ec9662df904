"""The task worker, RQ-style: takes the queued tasks, one at a time, until stopped."""
import signal
import time

from app import create_app, db
from app.models import Task

running = True


def stop(signum, frame):
    global running
    running = False


def work_once(app):
    with app.app_context():
        tasks = db.session.scalars(db.select(Task).filter_by(result=None)).all()
        for task in tasks:
            task.run(app.config['SECRET_KEY'])
        db.session.commit()
        return len(tasks)


def main(app=None, interval=0.5):
    app = app or create_app()
    signal.signal(signal.SIGTERM, stop)
    app.logger.info('worker started')
    while running:
        if not work_once(app):
            time.sleep(interval)


if __name__ == '__main__':  # pragma: no cover
    main()
