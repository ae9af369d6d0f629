"""Messages to residents: one outbound queue for every domain's notices (SMS, a voice
call list for operators, printed notices for community workers), each with its
delivery state."""
