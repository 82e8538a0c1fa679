# trello-deploy: deploy what a Trello card describes, once it is moved into the deploy list.
# A placeholder: replace the echo with your deployment (helm upgrade, kubectl apply, ...), in an
# image that has the tool. The card's fields arrive only as environment variables.
set -eu
echo "deploying card \"$CARD_NAME\" ($CARD_ID)"
echo "board: $BOARD_NAME ($BOARD_ID), list: $LIST, moved by: ${MEMBER:-unknown}"
