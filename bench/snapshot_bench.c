/* Times the snapshot module's image path: snapshot_jpeg_process() from
 * modules/snapshot/jpeg.c (decode with DCT scaling, area filter, encode),
 * the very function the module runs in its worker thread, linked here from
 * the module's own sources.
 *
 *   snapshot_bench --box WxH --quality Q --reps N --seconds S
 *                  [--flip-h] [--flip-v] [--rotate90] IN OUT
 *
 * Runs the path on IN at least once and at most N times, stopping after S
 * seconds, writes the last result to OUT and prints
 * {"ms": median, "ms_min": fastest, "runs": n, "passthrough": bool,
 *  "bytes": size of OUT}. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpeg.h"

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  snapshot_options o = { .max_width = 1640, .max_height = 1232, .quality = 75 };
  guint reps = 20;
  double seconds = 2;
  g_autofree char *data = NULL;
  g_autoptr (GBytes) input = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree double *times = NULL;
  gsize size = 0;
  guint runs = 0;
  gint64 deadline;
  int i;

  for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2)
    {
      if (strcmp (argv[i], "--flip-h") == 0 || strcmp (argv[i], "--flip-v") == 0
          || strcmp (argv[i], "--rotate90") == 0)
        {
          gboolean *flag = argv[i][2] == 'r' ? &o.rotate90 : argv[i][7] == 'h' ? &o.flip_h : &o.flip_v;

          *flag = TRUE;
          i--;   /* no value */
        }
      else if (strcmp (argv[i], "--box") == 0)
        {
          if (sscanf (argv[i + 1], "%ux%u", &o.max_width, &o.max_height) != 2)
            return 2;
        }
      else if (strcmp (argv[i], "--quality") == 0)
        o.quality = atoi (argv[i + 1]);
      else if (strcmp (argv[i], "--reps") == 0)
        reps = MAX (1, atoi (argv[i + 1]));
      else if (strcmp (argv[i], "--seconds") == 0)
        seconds = atof (argv[i + 1]);
      else
        break;
    }
  if (argc - i != 2)
    {
      fprintf (stderr, "usage: snapshot_bench --box WxH --quality Q --reps N --seconds S "
               "[--flip-h] [--flip-v] [--rotate90] IN OUT\n");
      return 2;
    }
  if (!g_file_get_contents (argv[i], &data, &size, &error))
    {
      fprintf (stderr, "snapshot_bench: %s\n", error->message);
      return 1;
    }
  input = g_bytes_new_static (data, size);
  times = g_new (double, reps);
  deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (runs < reps && (runs == 0 || g_get_monotonic_time () < deadline))
    {
      gint64 start = g_get_monotonic_time ();

      g_clear_pointer (&output, g_bytes_unref);
      output = snapshot_jpeg_process (input, &o, &error);
      if (output == NULL)
        {
          fprintf (stderr, "snapshot_bench: %s\n", error->message);
          return 1;
        }
      times[runs++] = (g_get_monotonic_time () - start) / 1000.0;
    }
  if (!g_file_set_contents (argv[i + 1], g_bytes_get_data (output, NULL), g_bytes_get_size (output),
                            &error))
    {
      fprintf (stderr, "snapshot_bench: %s\n", error->message);
      return 1;
    }
  qsort (times, runs, sizeof *times, compare_doubles);
  printf ("{\"ms\": %.3f, \"ms_min\": %.3f, \"runs\": %u, \"passthrough\": %s, \"bytes\": %zu}\n",
          times[runs / 2], times[0], runs, g_bytes_equal (output, input) ? "true" : "false",
          g_bytes_get_size (output));
  return 0;
}
