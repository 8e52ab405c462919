#include "autoconfig.h"
#include "cooldown.h"

struct ph_cooldown {
  GHashTable *last_sent;   /* "source\nhook\nevent" (event lower case) -> gint64 * */
};

ph_cooldown *
ph_cooldown_new (void)
{
  ph_cooldown *cooldown = g_new0 (ph_cooldown, 1);

  cooldown->last_sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return cooldown;
}

void
ph_cooldown_free (ph_cooldown *cooldown)
{
  if (cooldown == NULL)
    return;
  g_hash_table_unref (cooldown->last_sent);
  g_free (cooldown);
}

gboolean
ph_cooldown_admit (ph_cooldown *cooldown, const char *source, const char *hook, const char *event,
                   double seconds, gint64 now, double *ago_s)
{
  g_autofree char *lower = g_ascii_strdown (event, -1);
  g_autofree char *key = g_strdup_printf ("%s\n%s\n%s", source, hook, lower);
  gint64 *last = g_hash_table_lookup (cooldown->last_sent, key);

  if (last != NULL && seconds > 0 && (double) (now - *last) < seconds * G_USEC_PER_SEC)
    {
      if (ago_s != NULL)
        *ago_s = (double) (now - *last) / G_USEC_PER_SEC;
      return FALSE;
    }
  if (last == NULL)
    {
      last = g_new (gint64, 1);
      g_hash_table_insert (cooldown->last_sent, g_steal_pointer (&key), last);
    }
  *last = now;
  return TRUE;
}
