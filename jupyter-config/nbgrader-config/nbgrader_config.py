# nbgrader's configuration for envhub's servers, installed in <sys.prefix>/etc/jupyter (a
# course directory's own nbgrader_config.py still overrides it).
#
# Every server runs as the same uid, so the exchange is envhub's service (envhub.exchange), which
# knows each caller from the server's Hub token; nbgrader's shared-folder exchange could not tell
# students apart. The spawner says which class a server was launched for (ENVHUB_CLASS) and, for
# instructors, where the course directory is mounted (ENVHUB_COURSE_ROOT).
import os

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.ExchangeFactory.exchange = "envhub.exchange.Exchange"
c.ExchangeFactory.fetch_assignment = "envhub.exchange.ExchangeFetchAssignment"
c.ExchangeFactory.fetch_feedback = "envhub.exchange.ExchangeFetchFeedback"
c.ExchangeFactory.release_assignment = "envhub.exchange.ExchangeReleaseAssignment"
c.ExchangeFactory.release_feedback = "envhub.exchange.ExchangeReleaseFeedback"
c.ExchangeFactory.list = "envhub.exchange.ExchangeList"
c.ExchangeFactory.submit = "envhub.exchange.ExchangeSubmit"
c.ExchangeFactory.collect = "envhub.exchange.ExchangeCollect"

# ./<class>/<assignment>: a student in several classes keeps them apart.
c.Exchange.path_includes_course = True

if os.environ.get("ENVHUB_CLASS"):
    c.CourseDirectory.course_id = os.environ["ENVHUB_CLASS"]
if os.environ.get("ENVHUB_COURSE_ROOT"):
    c.CourseDirectory.root = os.environ["ENVHUB_COURSE_ROOT"]
