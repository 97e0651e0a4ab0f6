"""What the appointment tests book: Jan Peeters' identity card on Wednesday 2027-03-24 09:00
at the Administratief Centrum of the demo."""

BODY = {
    "product": ["eid-aanvragen"],
    "location": "administratief-centrum",
    "start": "2027-03-24T09:00:00+01:00",
    "name": "Jan Peeters",
    "email": "jan@example.org",
}
