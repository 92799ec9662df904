from app import create_app, db
from app.models import Task, User

app = create_app()
app.config['JOURNAL_TITLE'] = 'The Journal'


@app.shell_context_processor
def make_shell_context():
    return {'db': db, 'User': User, 'Task': Task}
