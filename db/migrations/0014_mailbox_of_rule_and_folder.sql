-- The mailbox of an inbox-rule or mailbox-folder cmdlet is the mailbox part of the identity it names
-- (core/normalise.ts mailboxPart): `alex\rule` is the rule "rule" of alex, `alex:\Inbox` the Inbox of
-- alex. Older cases stored the whole identity as the event's mailbox, so the timeline's Mailbox column
-- showed `megan.bowen\..` where the mailbox acted on is megan.bowen. The column is derived (each record
-- keeps ObjectId and Parameters as received), so it is derived again. A UPN has neither `\` nor `:\`,
-- so a mailbox taken from MailboxOwnerUPN is never touched.
UPDATE events SET mailbox = substr(mailbox, 1, instr(mailbox, '\') - 1)
 WHERE operation LIKE '%-InboxRule' AND instr(mailbox, '\') > 1;
UPDATE events SET mailbox = substr(mailbox, 1, instr(mailbox, ':\') - 1)
 WHERE (operation LIKE '%-MailboxFolder' OR operation LIKE '%-MailboxFolderPermission' OR operation LIKE '%-MailboxCalendarFolder')
   AND instr(mailbox, ':\') > 1;
