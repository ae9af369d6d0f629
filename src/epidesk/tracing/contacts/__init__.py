"""Reading contacts: why a person is a contact, letters, case contacts, missed tests."""
