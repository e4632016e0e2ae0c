# SPDX-License-Identifier: BSD-3-Clause
#
# md2man.cmake -- turn one page of doc/man/ (Markdown) into roff, at build
# time: @VERSION@ in the page becomes the library's version, then
# go-md2man converts it.
#   cmake -DMD2MAN=go-md2man -DSRC=x.3.md -DDST=man3/x.3 -DVERSION=0.1.0
#         -P md2man.cmake
cmake_minimum_required(VERSION 3.18)
foreach(v MD2MAN SRC DST VERSION)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "md2man.cmake: -D${v}=... is missing")
  endif()
endforeach()
file(READ ${SRC} _text)
string(REPLACE "@VERSION@" "${VERSION}" _text "${_text}")
get_filename_component(_dir ${DST} DIRECTORY)
file(MAKE_DIRECTORY ${_dir})
file(WRITE ${DST}.md "${_text}")
execute_process(COMMAND ${MD2MAN} -in ${DST}.md -out ${DST}
                RESULT_VARIABLE _rc ERROR_VARIABLE _err)
file(REMOVE ${DST}.md)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "go-md2man failed on ${SRC}: ${_err}")
endif()
