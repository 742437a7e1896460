-- Webinars map like meetings, but their join token comes from another endpoint
-- (`/webinars/{id}/jointoken/local_recording`), so each mapping says which it is.
ALTER TABLE meeting_mappings ADD COLUMN kind TEXT NOT NULL DEFAULT 'meeting' CHECK (kind IN ('meeting', 'webinar'));
-- Apps of government accounts live on ZoomGov: their OAuth and REST calls go to its hosts.
ALTER TABLE oauth_apps ADD COLUMN cloud TEXT NOT NULL DEFAULT 'zoom' CHECK (cloud IN ('zoom', 'zoomgov'));
