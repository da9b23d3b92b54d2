# One way to write a date and a time in every language (calls.admin_display.DATE_TIME says
# the same for the times clawsite formats itself); always Korean time (TIME_ZONE).
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
