"""Planned posts: German time phrases (`phrases`), the best hour of the week (`best_time`),
local wall times across daylight-saving changes (`wall_time`)."""
