#pragma once
// Everything the io module offers: decoding, encoding, folder datasets, preprocessing, distortions.

#include "gensweep/io/decode.h"
#include "gensweep/io/distortion.h"
#include "gensweep/io/encode.h"
#include "gensweep/io/float_image.h"
#include "gensweep/io/folder_source.h"
#include "gensweep/io/image.h"
#include "gensweep/io/resize.h"
