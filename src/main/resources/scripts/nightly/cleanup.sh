# nightly: housekeeping once a night (event cron:nightly). A placeholder: replace it with what
# your nights need (delete preview environments, prune images, vacuum a database), in an image
# that has the tool.
set -eu
echo "nightly cleanup for the tick scheduled at ${SCHEDULED:-unknown}"
echo "nothing configured to clean up"
