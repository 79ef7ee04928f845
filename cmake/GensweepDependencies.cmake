# Every dependency comes from Debian 12's packages (see README "Setup"), except that LibTorch may
# be a CUDA build pointed to with -DCMAKE_PREFIX_PATH (README, "Building against a CUDA LibTorch").
# Found once here; each module links only the targets it owns.

find_package(fmt REQUIRED)
find_package(Threads REQUIRED)

# MPI: the dist module is the only one that links it.
find_package(MPI REQUIRED COMPONENTS C)

# Parallel HDF5: a plain find_package finds the serial flavour, so point it at h5pcc.
set(HDF5_PREFER_PARALLEL TRUE)
if(EXISTS /usr/bin/h5pcc.openmpi)
  set(HDF5_C_COMPILER_EXECUTABLE /usr/bin/h5pcc.openmpi)
endif()
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(WARNING "HDF5 is not the parallel flavour (install libhdf5-openmpi-dev)")
endif()

find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(PkgConfig REQUIRED)
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
find_library(LAPACKE_LIBRARY NAMES lapacke REQUIRED)
find_path(LAPACKE_INCLUDE_DIR NAMES lapacke.h REQUIRED)

find_package(tomlplusplus REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
pkg_check_modules(SPNG REQUIRED IMPORTED_TARGET spng)
# Archives: the .npz files written for other tools (store/numpy_writer.h).
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
# Figures and contact sheets (report/plot.h): cairo draws PDF, SVG and PNG from one drawing code;
# PLplot would load its output drivers as run-time plugins from separate packages. Labels use
# DejaVu Sans through cairo's toy text API; without the font fontconfig substitutes another, so
# figures still come out but their text metrics (and bytes) differ from the documented ones.
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo cairo-pdf cairo-svg cairo-png)
find_file(GENSWEEP_DEJAVU_FONT DejaVuSans.ttf PATHS /usr/share/fonts/truetype/dejavu NO_DEFAULT_PATH)
if(NOT GENSWEEP_DEJAVU_FONT)
  message(WARNING "DejaVu Sans not found (install fonts-dejavu-core): figure labels will use "
                  "whatever font fontconfig substitutes")
endif()
# OpenCV's imgproc, for the OpenCV calls of spatter's water mode (io/corruptions/spatter_water.cpp):
# the reference calls Canny, distanceTransform, threshold, blur, equalizeHist and filter2D, and the
# goldens were made with Debian 12's OpenCV 4.6. Debian ships OpenCV's CMake and pkg-config files
# only in libopencv-dev, which depends on every OpenCV module (the GUI, video and VTK stacks
# with them); libopencv-imgproc-dev brings the headers and the two libraries used, so they are
# found directly and wrapped in one imported target (its include directory is SYSTEM for
# consumers, as for every imported target, so OpenCV's headers do not warn under C++20).
find_path(GENSWEEP_OPENCV_INCLUDE_DIR opencv2/imgproc.hpp PATH_SUFFIXES opencv4 REQUIRED)
find_library(GENSWEEP_OPENCV_CORE_LIBRARY opencv_core REQUIRED)
find_library(GENSWEEP_OPENCV_IMGPROC_LIBRARY opencv_imgproc REQUIRED)
file(STRINGS "${GENSWEEP_OPENCV_INCLUDE_DIR}/opencv2/core/version.hpp" gensweep_opencv_version_lines
     REGEX "^#define CV_VERSION_(MAJOR|MINOR|REVISION) +[0-9]+")
foreach(part MAJOR MINOR REVISION)
  string(REGEX REPLACE ".*#define CV_VERSION_${part} +([0-9]+).*" "\\1" gensweep_opencv_${part}
         "${gensweep_opencv_version_lines}")
endforeach()
set(GENSWEEP_OPENCV_VERSION
    "${gensweep_opencv_MAJOR}.${gensweep_opencv_MINOR}.${gensweep_opencv_REVISION}")
if(NOT gensweep_opencv_MAJOR EQUAL 4)
  message(FATAL_ERROR "OpenCV ${GENSWEEP_OPENCV_VERSION} at ${GENSWEEP_OPENCV_INCLUDE_DIR}: "
                      "gensweep needs OpenCV 4 (Debian 12: libopencv-imgproc-dev)")
endif()
message(STATUS "OpenCV ${GENSWEEP_OPENCV_VERSION} imgproc: ${GENSWEEP_OPENCV_IMGPROC_LIBRARY}")
if(NOT GENSWEEP_OPENCV_VERSION VERSION_EQUAL 4.6.0)
  message(WARNING "OpenCV ${GENSWEEP_OPENCV_VERSION}: the spatter goldens were made with 4.6.0, "
                  "so spatter severities 1-3 may differ from them (docs/CORRUPTIONS.md)")
endif()
add_library(OpenCV::imgproc INTERFACE IMPORTED)
set_target_properties(OpenCV::imgproc PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${GENSWEEP_OPENCV_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${GENSWEEP_OPENCV_IMGPROC_LIBRARY};${GENSWEEP_OPENCV_CORE_LIBRARY}")
# Dataset zips, member by member from many threads (pipeline/zip_members.h).
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
# CRC-32 of what libzip returns (pipeline/zip_members.cpp says why).
find_package(ZLIB REQUIRED)

find_package(Torch REQUIRED)
# Say which LibTorch this build uses: Debian's is CPU-only, and a CUDA one is chosen by
# CMAKE_PREFIX_PATH, so the configure log is where a wrong pick shows. Torch's config sets
# CAFFE2_USE_CUDA only in CUDA builds (and fails there without a CUDA toolkit), and CUDA_VERSION
# (FindCUDA, or taken from CUDAToolkit_VERSION by newer configs).
if(CAFFE2_USE_CUDA)
  if(CUDAToolkit_VERSION)
    set(gensweep_torch_cuda "CUDA ${CUDAToolkit_VERSION}")
  else()
    set(gensweep_torch_cuda "CUDA ${CUDA_VERSION}")
  endif()
else()
  set(gensweep_torch_cuda "CPU only, no CUDA")
endif()
message(STATUS "LibTorch ${Torch_VERSION} at ${TORCH_INSTALL_PREFIX} (${Torch_DIR}): "
               "${gensweep_torch_cuda}")
# Older PyTorch wheels ship a LibTorch built with the pre-C++11 libstdc++ ABI. Only the features
# module would be compiled for it, while core, io and Debian's libraries use the C++11 ABI: every
# std::string crossing between them would fail to link, or worse. Refuse it here, by name.
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR
    "LibTorch at ${TORCH_INSTALL_PREFIX} uses the pre-C++11 libstdc++ ABI "
    "(${TORCH_CXX_FLAGS}); gensweep and its Debian dependencies use the C++11 ABI. Use a LibTorch "
    "built with the C++11 ABI: the cxx11-ABI libtorch archive, or a PyTorch whose "
    "torch._C._GLIBCXX_USE_CXX11_ABI is True.")
endif()
