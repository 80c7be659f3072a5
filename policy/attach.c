/* policy/attach.c - see attach.h. FIRST VERSION: every part dropped (photos come later). */
#include "policy/attach.h"

void attach_init(const lg_config *cfg)
{
	(void)cfg;
}

void attach_shutdown(void)
{
}

void attach_process(const lg_config *cfg, const lg_message *msg, GPtrArray *photos,
		    GPtrArray *dropped)
{
	(void)cfg;
	(void)photos;
	for (guint i = 0; i < msg->parts->len; i++) {
		const lg_part *part = g_ptr_array_index(msg->parts, i);
		lg_dropped *d;
		if (part->is_signature)
			continue;
		d = dropped_new(part->filename, part->content_type,
				"Attachments cannot be delivered to a prison.");
		g_ptr_array_add(dropped, d);
	}
}
