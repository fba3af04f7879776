package api

// orgRoutes are the organisation and directory routes (see package org).
func (s *Server) orgRoutes() []route { return nil }
