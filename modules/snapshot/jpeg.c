#include "jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

#include "image.h"
#include "printhook/module.h"

/* libjpeg's own budget for its whole-image buffers (a progressive image
 * keeps all its coefficients: 2 bytes a sample), on top of the pixel limit:
 * enough for a 64 Mpx 4:2:0 image, refused beyond. */
#define MEMORY_LIMIT (256L * 1024 * 1024)
#define OUTPUT_CHUNK 16384

/* libjpeg reports errors through error_exit, which by default calls
 * exit(): ours jumps back to the caller instead (libjpeg.txt, "Error
 * handling"), keeping the message. */
typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf escape;
  char message[JMSG_LENGTH_MAX];
} error_manager;

static void
on_error_exit (j_common_ptr cinfo)
{
  error_manager *err = (error_manager *) cinfo->err;

  cinfo->err->format_message (cinfo, err->message);
  longjmp (err->escape, 1);
}

/* Warnings that mean pixels are missing or garbled (a cut-off upload ends
 * with "Premature end of JPEG file") stop the decoding like errors; odd
 * metadata and padding between markers are tolerated, as viewers do. */
static void
on_emit_message (j_common_ptr cinfo, int level)
{
  if (level >= 0)
    return;
  switch (cinfo->err->msg_code)
    {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
      on_error_exit (cinfo);
      break;
    default:
      cinfo->err->num_warnings++;
      break;
    }
}

/* A daemon has no terminal: libjpeg must never print. */
static void
on_output_message (j_common_ptr cinfo)
{
}

static void
use_error_manager (error_manager *err)
{
  jpeg_std_error (&err->pub);
  err->pub.error_exit = on_error_exit;
  err->pub.emit_message = on_emit_message;
  err->pub.output_message = on_output_message;
}

/* What a body that is not a JPEG looks like, for the log. */
static const char *
describe_non_jpeg (const guint8 *data, gsize size)
{
  gsize i = 0;

  if (size >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "a PNG image";
  if (size >= 4 && memcmp (data, "GIF8", 4) == 0)
    return "a GIF image";
  while (i < size && g_ascii_isspace (data[i]))
    i++;
  if (i < size && data[i] == '<')
    return "HTML or XML text, such as an error page";
  if (i < size && (data[i] == '{' || data[i] == '['))
    return "JSON text";
  return "data of an unknown kind";
}

/* Whether the options flip or turn the image. */
static gboolean
oriented (const snapshot_options *o)
{
  return o->flip_h || o->flip_v || o->rotate90;
}

/* What decode() hands to encode(): one interleaved image (gray, RGB or
 * CMYK), or the Y, Cb and Cr planes of a YCbCr JPEG, the chroma at half
 * the width and height (4:2:0, what jpeg_set_defaults encodes). */
typedef struct {
  guint count;
  snapshot_image *plane[3];
} picture;

static void
picture_clear (picture *p)
{
  for (guint i = 0; i < p->count; i++)
    g_clear_pointer (&p->plane[i], snapshot_image_free);
  p->count = 0;
}

/* The state of one decoding, on the heap so that nothing changed between
 * setjmp and longjmp lives in a register. */
typedef struct {
  struct jpeg_decompress_struct cinfo;
  error_manager err;
  gboolean created;
  guint8 *row;
  snapshot_shrinker *shrinker[3];   /* per plane */
  snapshot_image *image;            /* the interleaved image, when not shrunk */
} decoder;

static void
decoder_free (decoder *dec)
{
  if (dec->created)
    jpeg_destroy_decompress (&dec->cinfo);
  g_free (dec->row);
  for (guint i = 0; i < G_N_ELEMENTS (dec->shrinker); i++)
    snapshot_shrinker_free (dec->shrinker[i]);
  snapshot_image_free (dec->image);
  g_free (dec);
}

static J_COLOR_SPACE
output_color_space (J_COLOR_SPACE jpeg_color_space)
{
  switch (jpeg_color_space)
    {
    case JCS_GRAYSCALE:
      return JCS_GRAYSCALE;
    case JCS_CMYK:
    case JCS_YCCK:
      return JCS_CMYK;
    default:
      return JCS_RGB;
    }
}

/* The smallest of the DCT scales 1/8, 1/4, 1/2 and 1 whose output is still
 * at least target: the IDCT then does most of the shrinking for free
 * (libjpeg.txt, scale_num), and the area filter the rest.  libjpeg-turbo
 * has SIMD code for these four scales only: the others (3/8, 5/8, 6/8,
 * 7/8) run plain C IDCTs of odd sizes, 12x12 and 6x6 for 6/8, so slow that
 * decoding 2592x1944 at 8/8 and filtering 1.6x more pixels costs less than
 * decoding at 6/8. */
static void
choose_scale (struct jpeg_decompress_struct *cinfo, guint target_width, guint target_height)
{
  cinfo->scale_denom = 8;
  for (cinfo->scale_num = 1; cinfo->scale_num < 8; cinfo->scale_num *= 2)
    {
      jpeg_calc_output_dimensions (cinfo);
      if (cinfo->output_width >= target_width && cinfo->output_height >= target_height)
        return;
    }
  jpeg_calc_output_dimensions (cinfo);
}

/* How a YCbCr JPEG is shrunk plane by plane into a 4:2:0 picture: each
 * plane's size, and how many of the decoded plane's samples an output
 * sample covers across (x_num / x_den) and down. */
typedef struct {
  guint width[3], height[3];
  guint64 x_num[3], x_den[3], y_num[3], y_den[3];
} plane_plan;

/* Whether the JPEG about to be decoded at cinfo's scale can be shrunk plane
 * by plane to target_width x target_height, and how (*plan): it must be
 * YCbCr and no output plane may need more samples than its source plane
 * has, which an unusual sampling (4:1:1) can ask for.  A decoded sample of
 * plane i is (max_h_samp_factor * min_DCT_scaled_size) / (h_samp_factor *
 * DCT_scaled_size) decoded pixels wide; an output sample is output_width /
 * target_width of those, twice that for chroma. */
static gboolean
plan_planes (const struct jpeg_decompress_struct *cinfo, guint target_width,
             guint target_height, plane_plan *plan)
{
  if (cinfo->jpeg_color_space != JCS_YCbCr || cinfo->num_components != 3)
    return FALSE;
  for (guint i = 0; i < 3; i++)
    {
      const jpeg_component_info *comp = &cinfo->comp_info[i];
      guint factor = i == 0 ? 1 : 2;

      plan->width[i] = (target_width + factor - 1) / factor;
      plan->height[i] = (target_height + factor - 1) / factor;
      plan->x_num[i] = (guint64) factor * cinfo->output_width * comp->h_samp_factor
                       * comp->DCT_scaled_size;
      plan->x_den[i] = (guint64) target_width * cinfo->max_h_samp_factor
                       * cinfo->min_DCT_scaled_size;
      plan->y_num[i] = (guint64) factor * cinfo->output_height * comp->v_samp_factor
                       * comp->DCT_scaled_size;
      plan->y_den[i] = (guint64) target_height * cinfo->max_v_samp_factor
                       * cinfo->min_DCT_scaled_size;
      if (plan->x_num[i] < plan->x_den[i] || plan->y_num[i] < plan->y_den[i])
        return FALSE;
    }
  return TRUE;
}

/* The planes as the IDCT leaves them (raw_data_out), each pushed into its
 * shrinker: no upsampling or colour conversion here, and none in the
 * encoder. */
static void
read_planes (decoder *dec)
{
  struct jpeg_decompress_struct *cinfo = &dec->cinfo;
  JDIMENSION lines = cinfo->max_v_samp_factor * cinfo->min_DCT_scaled_size;
  JSAMPARRAY rows[3];
  guint per_call[3], done[3] = { 0, 0, 0 };

  for (guint i = 0; i < 3; i++)
    {
      const jpeg_component_info *comp = &cinfo->comp_info[i];

      /* libjpeg's own allocation, freed with cinfo; its failure is an
       * error_exit like any other. */
      per_call[i] = comp->v_samp_factor * comp->DCT_scaled_size;
      rows[i] = (*cinfo->mem->alloc_sarray) ((j_common_ptr) cinfo, JPOOL_IMAGE,
                                             comp->width_in_blocks * comp->DCT_scaled_size,
                                             per_call[i]);
    }
  while (cinfo->output_scanline < cinfo->output_height)
    {
      if (jpeg_read_raw_data (cinfo, rows, lines) == 0)
        ERREXIT (cinfo, JERR_CANT_SUSPEND);
      /* The last call's rows run past the plane. */
      for (guint i = 0; i < 3; i++)
        for (guint r = 0; r < per_call[i] && done[i] < cinfo->comp_info[i].downsampled_height;
             r++, done[i]++)
          snapshot_shrinker_push_row (dec->shrinker[i], rows[i][r]);
    }
}

/* The image as libjpeg converts it, row by row, into dec->shrinker[0], or
 * into dec->image when it is at its size already, or nowhere when it is
 * only checked. */
static void
read_interleaved (decoder *dec)
{
  struct jpeg_decompress_struct *cinfo = &dec->cinfo;

  while (cinfo->output_scanline < cinfo->output_height)
    {
      JSAMPROW row = dec->row;

      if (dec->image != NULL)
        row = dec->image->pixels + (gsize) cinfo->output_scanline * cinfo->output_width
                                   * cinfo->output_components;
      if (jpeg_read_scanlines (cinfo, &row, 1) != 1)
        ERREXIT (cinfo, JERR_CANT_SUSPEND);
      if (dec->shrinker[0] != NULL)
        snapshot_shrinker_push_row (dec->shrinker[0], row);
    }
}

/* Decodes the whole of data into *out, at the size it is to be sent, in
 * the source's orientation; or sets *unchanged when the JPEG is sound and
 * goes out as it is.  FALSE with error when it does not decode. */
static gboolean
decode (const guint8 *data, gsize size, const snapshot_options *o, picture *out,
        gboolean *unchanged, GError **error)
{
  decoder *dec = g_new0 (decoder, 1);
  struct jpeg_decompress_struct *cinfo = &dec->cinfo;
  guint width, height, fit_width, fit_height, target_width, target_height;
  plane_plan plan;
  gboolean transform, planes = FALSE, ok = TRUE;

  *unchanged = FALSE;
  use_error_manager (&dec->err);
  cinfo->err = &dec->err.pub;
  if (setjmp (dec->err.escape))
    {
      /* libjpeg says "Backing store not supported" when MEMORY_LIMIT is hit. */
      if (dec->err.pub.msg_code == JERR_NO_BACKING_STORE)
        g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                     "decoding this %u x %u JPEG would take more than %ld MiB",
                     cinfo->image_width, cinfo->image_height, MEMORY_LIMIT / (1024 * 1024));
      else
        g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                     "the JPEG does not decode: %s", dec->err.message);
      decoder_free (dec);
      return FALSE;
    }
  jpeg_create_decompress (cinfo);
  dec->created = TRUE;
  cinfo->mem->max_memory_to_use = MEMORY_LIMIT;
  jpeg_mem_src (cinfo, data, size);
  jpeg_read_header (cinfo, TRUE);

  width = cinfo->image_width;
  height = cinfo->image_height;
  if ((guint64) width * height > SNAPSHOT_PIXEL_LIMIT)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "the JPEG claims %u x %u pixels, more than the limit of %u megapixels",
                   width, height, SNAPSHOT_PIXEL_LIMIT / (1024 * 1024));
      decoder_free (dec);
      return FALSE;
    }
  cinfo->out_color_space = output_color_space (cinfo->jpeg_color_space);

  /* The box is for the image as sent: a turned image fits it turned. */
  transform = snapshot_fit (o->rotate90 ? height : width, o->rotate90 ? width : height,
                            o->max_width, o->max_height, &fit_width, &fit_height)
              || oriented (o);
  target_width = o->rotate90 ? fit_height : fit_width;
  target_height = o->rotate90 ? fit_width : fit_height;
  if (transform)
    {
      choose_scale (cinfo, target_width, target_height);
      planes = plan_planes (cinfo, target_width, target_height, &plan);
      cinfo->raw_data_out = planes;
    }
  else
    {
      /* Only proving that every byte decodes: entropy decoding runs in
       * full at any scale, the rest is cheapest at 1/8. */
      cinfo->scale_num = 1;
      cinfo->scale_denom = 8;
      cinfo->dct_method = JDCT_IFAST;
      cinfo->do_fancy_upsampling = FALSE;
    }
  jpeg_start_decompress (cinfo);

  if (planes)
    for (guint i = 0; i < 3; i++)
      {
        dec->shrinker[i] = snapshot_shrinker_new_spans (cinfo->comp_info[i].downsampled_width,
                                                        cinfo->comp_info[i].downsampled_height, 1,
                                                        plan.width[i], plan.height[i],
                                                        plan.x_num[i], plan.x_den[i],
                                                        plan.y_num[i], plan.y_den[i]);
        ok = ok && dec->shrinker[i] != NULL;
      }
  else
    {
      dec->row = g_try_malloc ((gsize) cinfo->output_width * cinfo->output_components);
      if (transform
          && (cinfo->output_width != target_width || cinfo->output_height != target_height))
        dec->shrinker[0] = snapshot_shrinker_new (cinfo->output_width, cinfo->output_height,
                                                  cinfo->output_components, target_width,
                                                  target_height);
      else if (transform)
        dec->image = snapshot_image_new (target_width, target_height, cinfo->output_components);
      ok = dec->row != NULL && (!transform || dec->shrinker[0] != NULL || dec->image != NULL);
    }
  if (!ok)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "not enough memory to decode a %u x %u JPEG", width, height);
      decoder_free (dec);
      return FALSE;
    }
  if (planes)
    read_planes (dec);
  else
    read_interleaved (dec);
  jpeg_finish_decompress (cinfo);

  if (planes)
    {
      out->count = 3;
      for (guint i = 0; i < 3; i++)
        out->plane[i] = snapshot_shrinker_steal_result (dec->shrinker[i]);
    }
  else if (transform)
    {
      out->count = 1;
      out->plane[0] = dec->shrinker[0] != NULL ? snapshot_shrinker_steal_result (dec->shrinker[0])
                                               : g_steal_pointer (&dec->image);
    }
  *unchanged = !transform;
  decoder_free (dec);
  return TRUE;
}

/* libjpeg writes into our GByteArray: its jpeg_mem_dest leaks its buffer
 * when an error strikes after it grew it. */
typedef struct {
  struct jpeg_destination_mgr pub;
  GByteArray *out;
  JOCTET chunk[OUTPUT_CHUNK];
} destination;

static void
on_init_destination (j_compress_ptr cinfo)
{
  destination *dest = (destination *) cinfo->dest;

  dest->pub.next_output_byte = dest->chunk;
  dest->pub.free_in_buffer = OUTPUT_CHUNK;
}

static boolean
on_empty_output_buffer (j_compress_ptr cinfo)
{
  destination *dest = (destination *) cinfo->dest;

  g_byte_array_append (dest->out, dest->chunk, OUTPUT_CHUNK);
  on_init_destination (cinfo);
  return TRUE;
}

static void
on_term_destination (j_compress_ptr cinfo)
{
  destination *dest = (destination *) cinfo->dest;

  g_byte_array_append (dest->out, dest->chunk, OUTPUT_CHUNK - dest->pub.free_in_buffer);
}

typedef struct {
  struct jpeg_compress_struct cinfo;
  error_manager err;
  destination dest;
  gboolean created;
} encoder;

static void
encoder_free (encoder *enc)
{
  if (enc->created)
    jpeg_destroy_compress (&enc->cinfo);
  if (enc->dest.out != NULL)
    g_byte_array_unref (enc->dest.out);
  g_free (enc);
}

/* Row y of image as it is to be sent (transfer none): the image's own row,
 * or the turned row written into buffer. */
static guint8 *
sent_row (const snapshot_image *image, const snapshot_options *o, guint y, guint8 *buffer)
{
  if (!oriented (o))
    return image->pixels + (gsize) y * image->width * image->channels;
  snapshot_orient_row (image, o->flip_h, o->flip_v, o->rotate90, y, buffer);
  return buffer;
}

/* Hands an interleaved image to libjpeg row by row, flipped and turned. */
static void
write_interleaved (struct jpeg_compress_struct *cinfo, const snapshot_image *image,
                   const snapshot_options *o)
{
  JSAMPARRAY buffer = (*cinfo->mem->alloc_sarray) ((j_common_ptr) cinfo, JPOOL_IMAGE,
                                                   cinfo->image_width * image->channels, 1);

  while (cinfo->next_scanline < cinfo->image_height)
    {
      JSAMPROW row = sent_row (image, o, cinfo->next_scanline, buffer[0]);
      jpeg_write_scanlines (cinfo, &row, 1);
    }
}

/* Hands Y, Cb and Cr planes to libjpeg (raw_data_in), flipped and turned,
 * one row of MCUs at a time.  libjpeg wants every plane padded to whole
 * 8 x 8 blocks (libjpeg.txt, "Raw (downsampled) image data"): the last
 * column and row are repeated, as its own edge expansion does. */
static void
write_planes (struct jpeg_compress_struct *cinfo, snapshot_image *const *plane,
              const snapshot_options *o)
{
  JDIMENSION lines = cinfo->max_v_samp_factor * DCTSIZE;
  JSAMPARRAY rows[3];
  guint per_call[3], padded_width[3];

  for (guint i = 0; i < 3; i++)
    {
      per_call[i] = cinfo->comp_info[i].v_samp_factor * DCTSIZE;
      padded_width[i] = cinfo->comp_info[i].width_in_blocks * DCTSIZE;
      rows[i] = (*cinfo->mem->alloc_sarray) ((j_common_ptr) cinfo, JPOOL_IMAGE, padded_width[i],
                                             per_call[i]);
    }
  for (guint call = 0; cinfo->next_scanline < cinfo->image_height; call++)
    {
      for (guint i = 0; i < 3; i++)
        {
          guint width = o->rotate90 ? plane[i]->height : plane[i]->width;
          guint height = o->rotate90 ? plane[i]->width : plane[i]->height;

          for (guint r = 0; r < per_call[i]; r++)
            {
              guint8 *row = rows[i][r];
              guint8 *from = sent_row (plane[i], o, MIN (call * per_call[i] + r, height - 1), row);

              if (from != row)
                memcpy (row, from, width);
              memset (row + width, row[width - 1], padded_width[i] - width);
            }
        }
      jpeg_write_raw_data (cinfo, rows, lines);
    }
}

/* EXIF and other markers of the camera's file are not carried over: its
 * orientation tag, for one, would be wrong after a turn. */
static GBytes *
encode (const picture *pic, const snapshot_options *o, GError **error)
{
  encoder *enc = g_new0 (encoder, 1);
  struct jpeg_compress_struct *cinfo = &enc->cinfo;
  const snapshot_image *first = pic->plane[0];
  GBytes *bytes;

  use_error_manager (&enc->err);
  cinfo->err = &enc->err.pub;
  enc->dest.out = g_byte_array_new ();
  enc->dest.pub.init_destination = on_init_destination;
  enc->dest.pub.empty_output_buffer = on_empty_output_buffer;
  enc->dest.pub.term_destination = on_term_destination;
  if (setjmp (enc->err.escape))
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "cannot encode the JPEG: %s", enc->err.message);
      encoder_free (enc);
      return NULL;
    }
  jpeg_create_compress (cinfo);
  enc->created = TRUE;
  cinfo->dest = &enc->dest.pub;
  cinfo->image_width = o->rotate90 ? first->height : first->width;
  cinfo->image_height = o->rotate90 ? first->width : first->height;
  cinfo->input_components = pic->count == 3 ? 3 : first->channels;
  cinfo->in_color_space = pic->count == 3 ? JCS_YCbCr
                          : first->channels == 1 ? JCS_GRAYSCALE
                          : first->channels == 4 ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults (cinfo);
  jpeg_set_quality (cinfo, o->quality, TRUE);
  if (pic->count == 3)
    {
      /* The planes' own sampling, said explicitly as libjpeg.txt asks. */
      cinfo->raw_data_in = TRUE;
      jpeg_set_colorspace (cinfo, JCS_YCbCr);
      cinfo->comp_info[0].h_samp_factor = cinfo->comp_info[0].v_samp_factor = 2;
      for (guint i = 1; i < 3; i++)
        cinfo->comp_info[i].h_samp_factor = cinfo->comp_info[i].v_samp_factor = 1;
    }
  jpeg_start_compress (cinfo, TRUE);
  if (pic->count == 3)
    write_planes (cinfo, pic->plane, o);
  else
    write_interleaved (cinfo, first, o);
  jpeg_finish_compress (cinfo);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&enc->dest.out));
  encoder_free (enc);
  return bytes;
}

GBytes *
snapshot_jpeg_process (GBytes *jpeg, const snapshot_options *o, GError **error)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (jpeg, &size);
  picture pic = { 0 };
  gboolean unchanged = FALSE;
  GBytes *result;

  if (size == 0)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT, "the camera sent no bytes");
      return NULL;
    }
  /* Every JPEG starts with an SOI marker; say what came instead. */
  if (size < 3 || data[0] != 0xff || data[1] != 0xd8 || data[2] != 0xff)
    {
      g_set_error (error, PRINTHOOK_ERROR, PRINTHOOK_ERROR_PERMANENT,
                   "not a JPEG: the camera sent %s (%zu bytes)", describe_non_jpeg (data, size),
                   size);
      return NULL;
    }
  if (!decode (data, size, o, &pic, &unchanged, error))
    return NULL;
  if (unchanged)
    return g_bytes_ref (jpeg);
  result = encode (&pic, o, error);
  picture_clear (&pic);
  return result;
}
