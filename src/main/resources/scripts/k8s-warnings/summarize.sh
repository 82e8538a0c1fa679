# k8s-warnings: summarize the Warning events of one Kubernetes object. Standard input: one line
# "Reason: message" per event of the window. Output (the run's summary): the object, then each
# distinct line with how often it came, most frequent first.
set -eu
echo "Warnings for $OBJECT${NAMESPACE:+ in namespace $NAMESPACE}:"
sort | uniq -c | sort -rn
