import datetime as dt

import time_machine

from onthaal.core import clock


def test_today_is_the_brussels_date_not_the_utc_date():
    # 23:30 UTC on 31 March is already 1 April in Brussels (UTC+2 in summer time).
    with time_machine.travel(dt.datetime(2027, 3, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        assert clock.now() == dt.datetime(2027, 3, 31, 23, 30, tzinfo=dt.UTC)
        assert clock.today() == dt.date(2027, 4, 1)
        assert clock.local_now().utcoffset() == dt.timedelta(hours=2)
